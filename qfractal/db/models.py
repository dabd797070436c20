"""Import every table module so that `Base.metadata` knows all tables."""

from qfractal.auth import models as auth_models
from qfractal.compute import models as compute_models
from qfractal.db.base import Base
from qfractal.quantum import models as quantum_models
from qfractal.workflows import models as workflows_models

__all__ = ["Base", "auth_models", "compute_models", "quantum_models", "workflows_models"]
