"""Generating text from a trained model, and the ranges a sample may ask for."""
