"""Reading image archives: byte streams, tar walking, layouts, layer scans and layer stacking.

The public face is `docklint.model.image` (`load_image`, `Image`); these modules are its parts.
"""
