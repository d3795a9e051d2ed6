"""``python -m tinymir``: the ``tinymir`` command line, for a checkout or an environment where the
console script is not on the PATH."""
from tinymir.cli.main import main

if __name__ == "__main__":
    main(prog_name="tinymir")
