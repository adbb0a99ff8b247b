-- One database per service (DESIGN §1): services never share tables.
CREATE DATABASE accounts;
CREATE DATABASE traffic;
CREATE DATABASE weather;
CREATE DATABASE socialsec;
CREATE DATABASE inspection;
