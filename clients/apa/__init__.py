"""APA (Allocation Personnalisée d'Autonomie) file exchange: departments deposit call files
and withdraw the administration's response files (seed 001), through pages and an API."""
