SELECT ID FROM Tasks WHERE Title = 'O''Neil' AND "Percent Complete" >= 0.5 AND Estimate < 10 AND ID <> 3
