/** Users with their roles, and who may see which camera. */

import { useCallback, useEffect, useState } from "preact/hooks";
import { cameraAccess, cameras as camerasApi, users as usersApi } from "../api/endpoints";
import type { Camera, CameraAccess, User } from "../api/types";
import { PERMISSION } from "../app/permissions";
import { useCan } from "../app/session";
import { ErrorNote, Loading } from "../components/Notice";
import { CameraAccessList } from "./CameraAccessList";
import { UserList } from "./UserList";

export function UsersPage() {
  const canSeeAccess = useCan(PERMISSION.viewAccess);
  const [users, setUsers] = useState<User[] | null>(null);
  const [entries, setEntries] = useState<CameraAccess[]>([]);
  const [cameras, setCameras] = useState<Camera[]>([]);
  const [error, setError] = useState<unknown>(null);

  const load = useCallback(async () => {
    try {
      const [userList, entryList, cameraList] = await Promise.all([
        usersApi.list(),
        canSeeAccess ? cameraAccess.list() : Promise.resolve([]),
        canSeeAccess ? camerasApi.list() : Promise.resolve([]),
      ]);
      setUsers(userList);
      setEntries(entryList);
      setCameras(cameraList);
      setError(null);
    } catch (failure) {
      setError(failure);
    }
  }, [canSeeAccess]);

  useEffect(() => {
    load();
  }, [load]);

  return (
    <section class="users-page">
      <div class="page-title"><h1>Users and access</h1></div>
      <ErrorNote error={error} title="The users could not be loaded." />
      {!users && !error && <Loading what="users" />}
      {users && (
        <div class="two-columns">
          <UserList list={users} onChanged={load} />
          {canSeeAccess && <CameraAccessList entries={entries} cameras={cameras} users={users} onChanged={load} />}
        </div>
      )}
    </section>
  );
}
