"""The emulated AWS account Turnstile's tests and demo run in. See LocalCloud."""

from .cloud import LocalCloud
from .deploy import Deployment, DeploymentFailed

__all__ = ["Deployment", "DeploymentFailed", "LocalCloud"]
