SELECT ID FROM Tasks WHERE Title LIKE 'abc%' AND Title LIKE '%mid%' AND Status LIKE 'Done' AND Title LIKE 'a_c%'
