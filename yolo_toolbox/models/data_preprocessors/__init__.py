from .data_preprocessor import YOLODataPreprocessor

__all__ = ['YOLODataPreprocessor']
