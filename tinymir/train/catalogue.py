"""Moved: tagging a catalogue is part of inference, :mod:`tinymir.predict.catalogue`."""
from tinymir import moved

__getattr__ = moved.module(__name__, "tinymir.predict.catalogue")
