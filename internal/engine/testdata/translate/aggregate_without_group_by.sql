SELECT COUNT(Title), SUM(Budget), MAX(Created) FROM Tasks WHERE Status = 'Done'
