from .local_visualizer import DetLocalVisualizer, palette

__all__ = ['DetLocalVisualizer', 'palette']
