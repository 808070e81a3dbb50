"""The console's screens, one module each; they stay thin and call ``console.desk``."""
