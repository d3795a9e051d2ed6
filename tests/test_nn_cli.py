"""`tinymir gradcheck` as a learner types it."""
from click.testing import CliRunner

from tinymir.cli.main import main


def test_gradcheck_prints_the_table_for_one_layer():
    result = CliRunner().invoke(main, ["gradcheck", "conv2d_stride"])
    assert result.exit_code == 0, result.output
    assert "rel. error" in result.output
    assert "kernel" in result.output and "bias" in result.output and "input" in result.output
    assert "ok: worst relative error" in result.output


def test_gradcheck_lists_checks_and_rejects_unknown_names():
    listing = CliRunner().invoke(main, ["gradcheck", "--list"])
    assert listing.exit_code == 0 and "maxpool2d" in listing.output and "bce" in listing.output
    result = CliRunner().invoke(main, ["gradcheck", "convolution"])
    assert result.exit_code != 0
    assert "no gradient check named 'convolution'" in result.output
    assert "Traceback" not in result.output


def test_gradcheck_reference_compares_fast_and_plain_layers():
    result = CliRunner().invoke(main, ["gradcheck", "--reference", "lstm"])
    assert result.exit_code == 0, result.output
    assert "fast vs reference twin" in result.output
    for tensor in ("output", "input", "kernel", "recurrent_kernel", "bias"):
        assert f"  {tensor} " in result.output
    assert "ok: largest difference" in result.output


def test_gradcheck_reference_runs_every_case():
    result = CliRunner().invoke(main, ["gradcheck", "--reference"])
    assert result.exit_code == 0, result.output
    assert "41 checks: fast and reference agree to" in result.output
    assert "FAIL" not in result.output
