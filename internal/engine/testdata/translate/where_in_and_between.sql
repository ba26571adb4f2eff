SELECT ID FROM Tasks WHERE Status IN ('Done', 'In Progress') AND Estimate BETWEEN 1 AND 5 AND ID NOT IN (1, 2)
