"""Archive: dossiers, BagIt packages, offline verification, retention and disposition."""
