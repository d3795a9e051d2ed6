"""`tinymir gradcheck [NAME]`: check a layer's backward pass against finite differences and
print, per tensor, the relative error (what the test-suite asserts is below 1e-6).

`tinymir gradcheck --reference [NAME]`: run the fast layer and its plain twin from
tinymir.nn.reference on the same input and weights, and print how far apart the output, dL/dx,
every parameter gradient and every buffer are (float64: agreement to 1e-10)."""
import click

TOLERANCE = 1e-6
TWIN_TOLERANCE = 1e-10


@click.command("gradcheck")
@click.argument("name", required=False)
@click.option("--list", "list_only", is_flag=True, help="List the available checks and exit.")
@click.option("--reference", is_flag=True,
              help="Compare the fast layer with its plain reference twin instead of finite "
                   "differences.")
@click.option("--seed", default=0, show_default=True, help="Seed for the input and weights.")
def gradcheck_command(name, list_only, reference, seed):
    """Gradient check of layer/loss NAME (all of them without NAME), in float64.

    Each row compares the analytic gradient of one tensor (the input, then every parameter)
    with central differences (L(u+ε) − L(u−ε)) / 2ε. With --reference each row compares the
    fast layer's tensor with its reference twin's (tinymir/nn/reference/)."""
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
    failed, summary = [], []
    for key in ([name] if name else cases):
        title = f"{key}" + (f" — {cases[key]}" if cases[key] else "")
        if reference:
            report = gradcheck.run_reference_case(key, seed=seed)
            worst = max(row.max_abs_error for row in report)
            verdict = "ok" if worst <= TWIN_TOLERANCE else "FAIL"
            click.echo(gradcheck.format_report(f"{title}: fast vs reference twin", report))
            click.echo(f"  {verdict}: largest difference {worst:.1e} "
                       f"(tolerance {TWIN_TOLERANCE:g})\n")
            summary.append((key, worst))
        else:
            report = gradcheck.run_case(key, seed=seed)
            worst = max(row.relative_error for row in report)
            verdict = "ok" if worst <= TOLERANCE else "FAIL"
            click.echo(gradcheck.format_report(title, report))
            click.echo(f"  {verdict}: worst relative error {worst:.1e} (tolerance {TOLERANCE:g})\n")
        if verdict == "FAIL":
            failed.append(key)
    if len(summary) > 1:
        key, worst = max(summary, key=lambda item: item[1])
        click.echo(f"{len(summary)} checks: fast and reference agree to {worst:.1e} "
                   f"at worst ({key})")
    if failed:
        raise click.ClickException(f"gradient check failed for {', '.join(failed)}")


COMMANDS = [gradcheck_command]
