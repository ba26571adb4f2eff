SELECT COUNT(*) AS n FROM Tasks WHERE Status = 'Done' AND YEAR(Created) = 2024
