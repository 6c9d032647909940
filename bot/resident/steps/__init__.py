"""The handlers of the flow's steps; `bot.resident.flow` declares how they follow each other."""
