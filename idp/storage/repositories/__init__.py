"""Repositories: storage methods named after intent, one module per aggregate."""
