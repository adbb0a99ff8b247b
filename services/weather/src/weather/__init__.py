"""Weather bureau service: locations and forecasts for the towns of Dongguan."""
