"""Mission-file sections, one module per stage, assembled by :mod:`edlcam.mission`.

These modules only declare pydantic models (no behaviour, no heavy imports), so every stage
can read the mission without importing another stage.
"""
