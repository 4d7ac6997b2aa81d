"""The platform under every feature: settings, extensions, database setup, hardening,
observability, health checks, the job queue, security helpers, languages and small caches."""
