SELECT Title FROM Tasks WHERE Status = 'Done' AND (Title = 'a' OR LOWER(Title) LIKE '%x')
