"""Install with ``pip install -e .`` (pure Python, no compiled extension)."""
import os.path as osp

from setuptools import find_packages, setup


def read_requirements(name: str) -> list[str]:
    path = osp.join(osp.dirname(__file__), 'requirements', name)
    with open(path) as f:
        return [line.strip() for line in f if line.strip() and not line.startswith(('#', '-r'))]


def read_version() -> str:
    scope: dict = {}
    with open(osp.join(osp.dirname(__file__), 'yolo_toolbox', 'version.py')) as f:
        exec(f.read(), scope)
    return scope['__version__']


setup(
    name='yolo_toolbox',
    version=read_version(),
    description='A plugin-registry toolbox for one-stage YOLO detectors and label assignment, '
                'built on mmengine',
    long_description=open('README.md').read() if osp.exists('README.md') else '',
    long_description_content_type='text/markdown',
    packages=find_packages(exclude=('configs*', 'tools*', 'tests*', 'docs*')),
    python_requires='>=3.9',
    install_requires=read_requirements('runtime.txt'),
    extras_require={
        'tests': read_requirements('tests.txt'),
        'optional': read_requirements('optional.txt'),
        'all': read_requirements('tests.txt') + read_requirements('optional.txt'),
    },
    license='Apache-2.0',
    zip_safe=False,
)
