# A class's JupyterHub for the companion: the set-up of docs/teaching.md, and the one `make hub-check` runs.
# Environment: LBDL_HUB_PORT (default 8765), LBDL_HUB_ZOO (the shared zoo, made by `make zoo`),
# LBDL_HUB_PYTHON (the environment with lbdlutils and jupyterlab), LBDL_HUB_PROXY (configurable-http-proxy),
# LBDL_HUB_TOKEN (an API token for the teacher's scripts), LBDL_HUB_STATE (a folder for the hub's files).
import os
from pathlib import Path

c = get_config()  # noqa: F821 - JupyterHub's config loader defines it

state = Path(os.environ.get("LBDL_HUB_STATE", "/srv/lbdl-hub"))
python = Path(os.environ.get("LBDL_HUB_PYTHON", "/opt/lbdl/bin/python"))

c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = int(os.environ.get("LBDL_HUB_PORT", "8765"))
c.JupyterHub.hub_port = c.JupyterHub.port + 1
c.JupyterHub.db_url = f"sqlite:///{state / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(state / "cookie_secret")
c.ConfigurableHTTPProxy.command = [os.environ.get("LBDL_HUB_PROXY", "configurable-http-proxy")]
c.ConfigurableHTTPProxy.pid_file = str(state / "proxy.pid")

# Students log in with any password (replace with your school's authenticator: OAuth, LDAP...).
c.JupyterHub.authenticator_class = "dummy"
c.Authenticator.allow_all = True

# One process per student on this machine. For a real class, give each student an account and use
# LocalProcessSpawner (or DockerSpawner), so that the shared zoo, owned by the teacher, is read-only to
# them; this check runs every server as the hub's own user, with a home folder each.
c.JupyterHub.spawner_class = "simple"
c.Spawner.cmd = [str(python.parent / "jupyterhub-singleuser")]
c.Spawner.default_url = "/lab"
c.Spawner.environment = {
    "LBDL_ZOO_SHARED": os.environ.get("LBDL_HUB_ZOO", "/srv/lbdl-zoo"),  # read first, never written
    "LBDL_THREADS": "1",  # one CPU per student: two torch threads each would fight over the cores
    "OMP_NUM_THREADS": "1",
}
c.SimpleLocalProcessSpawner.home_dir_template = str(state / "home" / "{username}")
if os.getuid() == 0:  # a container's root (as in make hub-check): Jupyter refuses root unless told
    c.Spawner.args = ["--allow-root"]

# The teacher's scripts (and make hub-check) act through the REST API with this token.
if token := os.environ.get("LBDL_HUB_TOKEN"):
    c.JupyterHub.services = [{"name": "teacher", "api_token": token}]
    c.JupyterHub.load_roles = [{"name": "teacher", "services": ["teacher"],
                                "scopes": ["admin:users", "admin:servers", "tokens", "access:servers"]}]
