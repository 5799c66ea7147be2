"""Default-scope setup, as MMDetection and MMYOLO do it."""
import datetime
import warnings

from mmengine import DefaultScope


def register_all_modules(init_default_scope: bool = True) -> None:
    """Import every subpackage that registers modules and set the default scope.

    Args:
        init_default_scope: make ``yolo_toolbox`` the default scope, so that
            ``dict(type='YOLODetector')`` resolves in the yolo_toolbox registries first. If
            another scope is already current, a new ``yolo_toolbox`` scope instance is
            created and made current, with a warning.
    """
    import yolo_toolbox.datasets  # noqa: F401
    import yolo_toolbox.engine  # noqa: F401
    import yolo_toolbox.evaluation  # noqa: F401
    import yolo_toolbox.models  # noqa: F401
    import yolo_toolbox.visualization  # noqa: F401

    if not init_default_scope:
        return
    current = DefaultScope.get_current_instance()
    if current is None or not DefaultScope.check_instance_created('yolo_toolbox'):
        DefaultScope.get_instance('yolo_toolbox', scope_name='yolo_toolbox')
        return
    if current.scope_name != 'yolo_toolbox':
        warnings.warn(f'The current default scope "{current.scope_name}" is not "yolo_toolbox"; '
                      '`register_all_modules` makes a new "yolo_toolbox" scope current.')
        stamp = datetime.datetime.now().strftime('%Y%m%d-%H%M%S.%f')
        DefaultScope.get_instance(f'yolo_toolbox-{stamp}', scope_name='yolo_toolbox')
