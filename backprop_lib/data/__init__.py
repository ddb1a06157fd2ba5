"""Data files shipped with the library; ``backprop_lib.datasets`` loads them."""
