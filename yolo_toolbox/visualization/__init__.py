from .assignment_visualizer import draw_assignment, gt_colours, save_rgb
from .local_visualizer import DetLocalVisualizer

__all__ = ['DetLocalVisualizer', 'draw_assignment', 'gt_colours', 'save_rgb']
