from .assignment_visualizer import draw_assignment, gt_colours, save_rgb
from .local_visualizer import DetLocalVisualizer, palette

__all__ = ['DetLocalVisualizer', 'draw_assignment', 'gt_colours', 'palette', 'save_rgb']
