"""A faithful, deterministic simulator of Devin's audit-log and guardrail API, on loopback.

    from sandbox import SandboxServer, SandboxConfig, FaultConfig, ADMIN_TOKEN

    with SandboxServer(SandboxConfig(seed=7, clock_start=1_773_241_200)) as srv:
        httpx.get(f"{srv.url}/v3/enterprise/audit-logs",
                  headers={"Authorization": f"Bearer {srv.admin_token}"})

Modules: `spec` (documented facts), `roster` / `activity` / `world` (the synthetic enterprise),
`cursors`, `params`, `auth`, `faults`, `endpoints` (behaviour), `server` (HTTP).
"""

from sandbox.config import SandboxConfig
from sandbox.credentials import ADMIN_TOKEN
from sandbox.faults import FaultConfig
from sandbox.server import SandboxServer, serve
from sandbox.world import World

__all__ = ["ADMIN_TOKEN", "FaultConfig", "SandboxConfig", "SandboxServer", "World", "serve"]
