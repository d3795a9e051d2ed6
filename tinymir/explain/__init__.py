"""Explaining a trained model: the most representative input of each class (input
optimisation), saliency of a track, and dataset profiles (seed 001).

The last folder of the chain: explain may import every other part of tinymir; nothing imports
explain.
"""
