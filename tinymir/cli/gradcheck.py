"""`tinymir gradcheck [NAME]`: check a layer's backward pass against finite differences and
print, per tensor, the relative error (what the test-suite asserts is below 1e-6).

`tinymir gradcheck --reference [NAME]`: run the fast layer and its plain twin from
tinymir.nn.reference on the same input and weights, and print how far apart the output, dL/dx,
every parameter gradient and every buffer are (float64: agreement to 1e-10)."""
import click


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

    described = gradcheck.case_descriptions()
    if list_only:
        for key, description in described.items():
            click.echo(f"{key:<26}{description}")
        return
    names = [name] if name else list(described)
    failed, results = [], []
    try:
        for result in gradcheck.check_cases(names, reference=reference, seed=seed):
            title = result.name + (f" — {result.description}" if result.description else "")
            verdict = "ok" if result.ok else "FAIL"
            if reference:
                click.echo(gradcheck.format_report(f"{title}: fast vs reference twin",
                                                   result.report))
                click.echo(f"  {verdict}: largest difference {result.worst:.1e} "
                           f"(tolerance {result.tolerance:g})\n")
            else:
                click.echo(gradcheck.format_report(title, result.report))
                click.echo(f"  {verdict}: worst relative error {result.worst:.1e} "
                           f"(tolerance {result.tolerance:g})\n")
            results.append(result)
            failed += [] if result.ok else [result.name]
    except KeyError as exc:
        raise click.ClickException(exc.args[0])
    if reference and len(results) > 1:
        worst = max(results, key=lambda result: result.worst)
        click.echo(f"{len(results)} checks: fast and reference agree to {worst.worst:.1e} "
                   f"at worst ({worst.name})")
    if failed:
        raise click.ClickException(f"gradient check failed for {', '.join(failed)}")
