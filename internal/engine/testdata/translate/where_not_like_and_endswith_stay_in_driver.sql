SELECT ID FROM Tasks WHERE Title NOT LIKE 'a%' AND Title LIKE '%z' AND Status NOT IN ('Done', NULL)
