"""Plots of results (matplotlib, imported lazily): raster plots and population rates."""

from .raster import raster_plot as raster_plot
from .raster import rate_plot as rate_plot
from .raster import summary_figure as summary_figure
