"""Where: the grid every raster shares, kernel density, hotspot areas, Gi* significance, streets."""
