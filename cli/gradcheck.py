"""`tinymir gradcheck [NAME]`: check a layer's backward pass against finite differences and
print, per tensor, the relative error (what the test-suite asserts is below 1e-6)."""
import click

TOLERANCE = 1e-6


@click.command("gradcheck")
@click.argument("name", required=False)
@click.option("--list", "list_only", is_flag=True, help="List the available checks and exit.")
@click.option("--seed", default=0, show_default=True, help="Seed for the input and weights.")
def gradcheck_command(name, list_only, seed):
    """Gradient check of layer/loss NAME (all of them without NAME), in float64.

    Each row compares the analytic gradient of one tensor (the input, then every parameter)
    with central differences (L(u+ε) − L(u−ε)) / 2ε."""
    from tinymir.nn import gradcheck

    cases = {**{k: c.description for k, c in gradcheck.CASES.items()},
             **{k: c.description for k, c in gradcheck.LOSS_CASES.items()}}
    if list_only:
        for key, description in cases.items():
            click.echo(f"{key:<26}{description}")
        return
    if name is not None and name not in cases:
        raise click.ClickException(f"no gradient check named {name!r}; "
                                   f"`tinymir gradcheck --list` shows the {len(cases)} there are")
    failed = []
    for key in ([name] if name else cases):
        report = gradcheck.run_case(key, seed=seed)
        worst = max(row.relative_error for row in report)
        verdict = "ok" if worst <= TOLERANCE else "FAIL"
        title = f"{key}" + (f" — {cases[key]}" if cases[key] else "")
        click.echo(gradcheck.format_report(title, report))
        click.echo(f"  {verdict}: worst relative error {worst:.1e} (tolerance {TOLERANCE:g})\n")
        if verdict == "FAIL":
            failed.append(key)
    if failed:
        raise click.ClickException(f"gradient check failed for {', '.join(failed)}")


COMMANDS = [gradcheck_command]
