"""What the views compute, one folder per topic, without Qt (testable headless).

``boundary`` and ``pca`` serve several topics; ``uncrumple/``, ``loss/``, ``weights/`` and ``digits/``
each serve one workspace of the app."""
