-- Run once by the postgres image when its data volume is new (compose.yaml): APA's database
-- beside the hub's (APA migrates it itself when `apa serve` starts).
CREATE DATABASE apa;
