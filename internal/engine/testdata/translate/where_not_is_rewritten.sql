SELECT ID FROM Tasks WHERE NOT (Status = 'Done' OR Estimate > 3) AND NOT Title IS NULL
