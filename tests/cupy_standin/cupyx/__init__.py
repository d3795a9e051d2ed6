"""``cupyx`` of the CuPy stand-in (see ``cupy``): the ``cupyx.scipy`` modules tinymir uses."""
