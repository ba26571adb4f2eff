SELECT t.Title, t.* FROM Tasks AS t WHERE t.ID = 1
