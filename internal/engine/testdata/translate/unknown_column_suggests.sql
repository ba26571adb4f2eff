SELECT Stauts FROM Tasks
