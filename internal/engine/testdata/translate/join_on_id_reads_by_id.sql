SELECT t.Title, parent.Title FROM Tasks t LEFT JOIN Tasks parent ON t.Estimate = parent.ID WHERE t.Status = 'Done'
