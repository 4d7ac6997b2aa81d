"""Extension instances, created once and bound to the app in ``create_app``."""

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from app.models.base import Base
from app.platform.rate_limit_store import FileStorage

db = SQLAlchemy(model_class=Base)
csrf = CSRFProtect()
babel = Babel()
login_manager = LoginManager()
#: Storage comes from RATELIMIT_STORAGE_URI: Redis when REDIS_URL is set, else the file every
#: worker of the machine shares (``cx-file://``), in-memory for tests.
limiter = Limiter(get_remote_address)
#: Flask-Limiter finds storages by URI scheme: defining FileStorage registers ``cx-file://``.
RATE_LIMIT_STORAGES = (FileStorage,)
