/** 系统管理 starts on the users page. */
import { Navigate } from 'react-router';

export default function AdminHome() {
  return <Navigate to="/admin/users" replace />;
}
