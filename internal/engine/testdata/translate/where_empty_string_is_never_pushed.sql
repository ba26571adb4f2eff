SELECT ID FROM Tasks WHERE Title = '' OR Title LIKE '%'
