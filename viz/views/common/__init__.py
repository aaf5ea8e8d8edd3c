"""What every view shares: the View base class, heat maps, 3-D helpers, flowing layouts, notices."""
