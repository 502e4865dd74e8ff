"""Records of training, without torch: settings, events, run reports, memory estimates, feature-map results."""
