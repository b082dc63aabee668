"""Settings package: base (shared), development (make run), test (pytest), production."""
