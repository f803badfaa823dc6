import os

from django.core.wsgi import get_wsgi_application

from quanlu.config.env import private_umask

# Under any WSGI server (gunicorn started by hand, mod_wsgi): files private by default.
private_umask()
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "quanlu.config.settings")
application = get_wsgi_application()
