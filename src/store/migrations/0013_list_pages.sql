-- 0013_list_pages.sql: indexes for paged image lists.
--
-- Same rules as 0001. The image list is read a page at a time, newest first,
-- by owner or by project; each index lets a page start at its cursor
-- (created_at, id) without reading the rows before it. The owner index
-- replaces the one of 0002, of which it is a prefix. Project pages need no
-- new index: projects_owner_id_name_key is already in their order.

DROP INDEX images_owner_id_idx;
CREATE INDEX images_owner_created_idx ON images (owner_id, created_at, id);
CREATE INDEX images_project_created_idx ON images (project_id, created_at, id);
