SELECT ID FROM Tasks WHERE 5 < Estimate AND '2024-01-01' <= Created AND 1 = Done
